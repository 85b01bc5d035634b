module xgotop.test/parked

go 1.21
