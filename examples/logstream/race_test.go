//go:build race

package main

// The race detector's shadow memory multiplies a process's RSS, so a run
// under -race is held to a looser bound than the command's default.
const smallRunMaxRSS = "512"
