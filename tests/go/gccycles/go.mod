module xgotop.test/gccycles

go 1.21
