module xgotop.test/demo

go 1.21
