module xgotop.test/offsetprobe

go 1.21
