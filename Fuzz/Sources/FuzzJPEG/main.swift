import FuzzSupport

// libFuzzer parses its flags from the command line and calls `fuzzJPEG` per input.
Fuzz.run(fuzzJPEG)
