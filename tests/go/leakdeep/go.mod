module xgotop.test/leakdeep

go 1.21
