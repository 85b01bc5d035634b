module xgotop.test/gbench

go 1.21
