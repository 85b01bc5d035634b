module xgotop.test/deepstack

go 1.21
