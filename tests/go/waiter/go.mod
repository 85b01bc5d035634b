module xgotop.test/waiter

go 1.21
