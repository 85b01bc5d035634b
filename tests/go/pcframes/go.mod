module xgotop.test/pcframes

go 1.21
