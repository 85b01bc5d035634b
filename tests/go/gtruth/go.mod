module xgotop.test/gtruth

go 1.21
