module xgotop.test/schedtruth

go 1.21
