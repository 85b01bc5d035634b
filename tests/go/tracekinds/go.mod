module tracekinds

go 1.21
