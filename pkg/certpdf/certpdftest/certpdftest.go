// Package certpdftest reads PDFs back in tests the way a person's tools
// do, with poppler's pdftotext and pdfinfo (Debian's poppler-utils, which
// `make deps` installs): text a reader can select and search is what
// pdftotext extracts, so a certificate whose name were drawn as shapes, or
// in a font without a Unicode map, would fail here.
package certpdftest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		// Not a skip: a certificate nobody read back is not tested.
		t.Fatalf("%s is missing: `make test` installs Debian's poppler-utils (make deps)", name)
	}
	return p
}

func write(t testing.TB, pdf []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "certificate.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// Text returns the text pdftotext extracts from pdf, pages separated by
// form feeds (\f), in reading order.
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	out, err := exec.Command(tool(t, "pdftotext"), "-enc", "UTF-8", write(t, pdf), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

var pagesLine = regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`)

// Pages returns the page count pdfinfo reads from pdf.
func Pages(t testing.TB, pdf []byte) int {
	t.Helper()
	out, err := exec.Command(tool(t, "pdfinfo"), write(t, pdf)).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := pagesLine.FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo says no page count:\n%s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// Compact removes every space and line break, so text a line wrap cut (a
// long URL) can be searched whole.
func Compact(s string) string {
	return string(bytes.Join(bytes.Fields([]byte(s)), nil))
}
