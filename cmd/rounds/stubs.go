package main

// The commands below are filled in by their issues.
