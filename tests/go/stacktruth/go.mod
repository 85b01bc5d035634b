module stacktruth

go 1.21
