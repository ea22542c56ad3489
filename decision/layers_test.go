package decision_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Workflow code decides; it never touches the database. It links neither
// gorm nor the models nor the activities that write (issue 14).
func TestWorkflowsDoNotLinkTheDatabase(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../workflows").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "gorm.io/") || pkg == "github.com/securebase/securebase/models" || pkg == "github.com/securebase/securebase/activities" {
			t.Errorf("workflows links %s", pkg)
		}
	}
}

// writers are the only directories whose code calls gorm's write methods:
// the models' named writes and the activities that apply a decision, plus
// the synthetic dataset loader the benchmarks fill a database with.
var writers = map[string]bool{"models": true, "activities": true, "internal/dataset": true}

var gormWrites = map[string]bool{
	"Create": true, "CreateInBatches": true, "Save": true, "Update": true, "Updates": true,
	"UpdateColumn": true, "UpdateColumns": true, "Delete": true, "Exec": true, "FirstOrCreate": true,
}

// No other package writes the database: a source scan of every non-test
// file importing gorm for calls of its write methods (package functions
// such as slices.Delete are not gorm's).
func TestOnlyTheWritersWriteTheDatabase(t *testing.T) {
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		if writers[filepath.ToSlash(dir)] {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		imported, usesGorm := map[string]bool{}, false
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			usesGorm = usesGorm || strings.HasPrefix(p, "gorm.io/")
			name := filepath.Base(p)
			if im.Name != nil {
				name = im.Name.Name
			}
			imported[name] = true
		}
		if !usesGorm {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !gormWrites[sel.Sel.Name] {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && imported[id.Name] {
				return true // a package function, not a method on a *gorm.DB
			}
			t.Errorf("%s: %s writes the database outside the writers", fset.Position(call.Pos()), sel.Sel.Name)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
