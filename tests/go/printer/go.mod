module xgotop.test/printer

go 1.21
