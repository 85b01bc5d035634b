module statetruth

go 1.21
