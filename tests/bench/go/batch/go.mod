module xgotop.test/batch

go 1.21
