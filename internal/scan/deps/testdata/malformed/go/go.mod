module example.com/broken

require (
	golang.org/x/text v0.3.7
