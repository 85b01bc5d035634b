module xgotop.test/blocked

go 1.21
