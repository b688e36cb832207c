//go:build !race

package main

// smallRunMaxRSS is the -max-rss of TestLogstreamSmall: the command's default.
const smallRunMaxRSS = "64"
