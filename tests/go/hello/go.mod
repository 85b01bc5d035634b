module xgotop.test/hello

go 1.21
