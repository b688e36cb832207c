package flowstore_test

import (
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// goBlock matches a fenced Go code block of the README.
var goBlock = regexp.MustCompile("(?ms)^```go\n(.*?)^```")

// TestREADMESnippetsCompile compiles the README's Go code with `go vet`, in
// a module of its own that replaces flowstore with this working tree:
//
//   - a block that starts with "package" is a file of its own (a _test.go
//     file when it uses package testing);
//   - the other blocks are fragments of one program, as the README tells
//     them, in order: they become the body of one function that has a ctx
//     and returns an error.
//
// It runs offline: the module cache has what go.mod requires, and the
// go.sum of this module covers it.
func TestREADMESnippetsCompile(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	out, err := compileREADME(t, readme)
	if err != nil {
		t.Fatalf("README.md's Go code does not compile:\n%s", out)
	}
}

// TestREADMECompileFailsOnABrokenSnippet: a fragment that calls what
// flowstore does not have, and a file that does not type-check, fail.
func TestREADMECompileFailsOnABrokenSnippet(t *testing.T) {
	for name, readme := range map[string]string{
		"fragment": "# x\n\n```go\nfs, err := flowstore.Open(ctx, \"sqlite:x.db\")\nif err != nil {\n\treturn err\n}\n" +
			"fs.Queue.NoSuchMethod(ctx)\n```\n",
		"file": "```go\npackage x_test\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) { t.NoSuchMethod() }\n```\n",
	} {
		t.Run(name, func(t *testing.T) {
			out, err := compileREADME(t, []byte(readme))
			if err == nil || !strings.Contains(out, "NoSuchMethod") {
				t.Fatalf("compiled a broken snippet: %v\n%s", err, out)
			}
		})
	}
}

// compileREADME runs go vet on readme's Go code and returns its output.
func compileREADME(t *testing.T, readme []byte) (string, error) {
	t.Helper()
	blocks := goBlock.FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("the README has no ```go block")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	imports, err := importable(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module readmesnippets\n\ngo 1.26.0\n\n"+
		"require github.com/flowstore/flowstore v0.0.0\n\n"+
		"replace github.com/flowstore/flowstore => "+root+"\n")
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	write("go.sum", string(sum))

	var fragments []string
	files := 0
	for _, b := range blocks {
		code := string(b[1])
		if strings.HasPrefix(code, "package ") {
			name := "snippet.go"
			if strings.Contains(code, `"testing"`) {
				name = "snippet_test.go"
			}
			files++
			write(fmt.Sprintf("file%d/%s", files, name), code)
			continue
		}
		fragments = append(fragments, code)
	}
	if len(fragments) > 0 {
		body := strings.Join(fragments, "\n")
		var src strings.Builder
		src.WriteString("package main\n\nimport (\n")
		for _, p := range usedImports(body, imports) {
			fmt.Fprintf(&src, "\t%q\n", p)
		}
		src.WriteString(")\n\nfunc main() {}\n\n// readme is the README's fragments in order.\n")
		src.WriteString("func readme(ctx context.Context) error {\n" + body + "\treturn nil\n}\n\nvar _ = readme\n")
		write("main.go", src.String())
	}

	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to compile the README: %v", err)
	}
	cmd := exec.Command(gobin, "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GOFLAGS=-mod=mod", // let go.mod gain the indirect requirements
		"GOPROXY=off",      // offline: only the module cache
		"GOWORK=off",
		"GOTOOLCHAIN=local",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("compiled %d fragment(s) and %d file(s)", len(fragments), files)
	if err != nil {
		main, _ := os.ReadFile(filepath.Join(dir, "main.go"))
		return fmt.Sprintf("%s\ngenerated main.go:\n%s", out, main), err
	}
	return string(out), nil
}

// importable maps package names to import paths: every package of this
// module outside internal/ and examples/, and the standard library's that
// README fragments use.
func importable(root string) (map[string]string, error) {
	m := map[string]string{}
	for _, p := range []string{"context", "errors", "fmt", "log", "log/slog", "os", "time", "testing"} {
		m[path.Base(p)] = p
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "internal" || rel == "examples" || rel == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." {
			return fs.SkipDir
		}
		if rel == "." {
			m["flowstore"] = "github.com/flowstore/flowstore"
			return nil
		}
		if ok, err := hasGo(p); err != nil || !ok {
			return err
		}
		m[path.Base(rel)] = "github.com/flowstore/flowstore/" + rel
		return nil
	})
	return m, err
}

func hasGo(dir string) (bool, error) {
	es, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range es {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			return true, nil
		}
	}
	return false, nil
}

// usedImports returns the import paths of the packages code refers to
// (identifier, then a dot), context always: the fragments' function takes
// one. Comments and strings are not code, so a package named there only is
// not imported.
func usedImports(code string, imports map[string]string) []string {
	used := map[string]bool{"context": true}
	var s scanner.Scanner
	fset := token.NewFileSet()
	src := []byte(code)
	s.Init(fset.AddFile("", fset.Base(), len(src)), src, nil, 0)
	prev := ""
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.PERIOD && prev != "" {
			if p, ok := imports[prev]; ok {
				used[p] = true
			}
		}
		prev = ""
		if tok == token.IDENT {
			prev = lit
		}
	}
	var out []string
	for p := range used {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// TestREADMEImportsFromCode: a fragment imports the packages its code
// names, not those only its comments or strings name.
func TestREADMEImportsFromCode(t *testing.T) {
	imports := map[string]string{"queue": "q/queue", "store": "q/store", "fmt": "fmt"}
	got := usedImports("// store.Open is not called here\nx := queue.NewElement{}\ns := \"fmt.Println\"\n", imports)
	want := []string{"context", "q/queue"}
	if !slices.Equal(got, want) {
		t.Fatalf("usedImports = %v, want %v", got, want)
	}
}
