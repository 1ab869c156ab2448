package policycheck

// Untested excuses grants no test of the function's package makes a call
// for, keyed as Grant.String() prints them, each with the reason. An entry
// that a call does use, or that names no grant, fails the check.
var Untested = map[string]string{}
