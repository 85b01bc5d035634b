module flight

go 1.21
