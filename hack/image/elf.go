package main

import (
	"debug/elf"
	"fmt"
	"strings"
)

// elfInterpreter returns the program interpreter (the dynamic loader) an ELF
// binary asks for, empty for a static binary.
func elfInterpreter(path string) (string, error) {
	file, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("not an ELF binary: %w", err)
	}
	defer file.Close()
	if file.Machine != elf.EM_X86_64 {
		return "", fmt.Errorf("built for %s, the image is linux/amd64", file.Machine)
	}
	for _, prog := range file.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		data := make([]byte, prog.Filesz)
		if _, err := prog.ReadAt(data, 0); err != nil {
			return "", fmt.Errorf("read the interpreter: %w", err)
		}
		return strings.TrimRight(string(data), "\x00"), nil
	}
	return "", nil
}
