module xgotop.test/loadgen

go 1.21
