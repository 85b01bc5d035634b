module xgotop.test/prodtruth

go 1.21
