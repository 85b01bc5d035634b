module xgotop.test/genoffsets

go 1.21
