module xgotop.test/timing

go 1.21
