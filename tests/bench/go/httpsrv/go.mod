module xgotop.test/httpsrv

go 1.21
