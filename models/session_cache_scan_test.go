package models_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// cachedRowTypes are the row types whose tables the session cache mirrors.
var cachedRowTypes = map[string]bool{"sessionRow": true, "userRow": true}

// cachedTableSQL matches SQL text that writes the sessions or users table.
var cachedTableSQL = regexp.MustCompile(`(?is)^\s*(update|insert\s+into|delete\s+from)\s+"?(sessions|users)\b`)

// gormWrites are the GORM methods that write the model they are given or
// chained after.
var gormWrites = map[string]bool{"Create": true, "CreateInBatches": true, "Save": true, "Update": true,
	"Updates": true, "UpdateColumn": true, "UpdateColumns": true, "Delete": true, "FirstOrCreate": true}

// sqlCalls are the methods that run SQL text given as their first
// argument (GORM's, database/sql's, and the writer's hot-statement path),
// or second after a context.
var sqlCalls = map[string]bool{"Exec": true, "Raw": true, "exec": true, "queryRow": true,
	"ExecContext": true, "QueryContext": true, "QueryRowContext": true}

var cacheForgetters = map[string]bool{"forgetSessions": true, "forgetUser": true}

// cacheTableWriters parses the package's non-test files in dir and returns
// every top-level function (by name; methods by method name) that writes
// the sessions or users table, and whether it calls a cache forgetter.
func cacheTableWriters(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
	}
	// SQL is often a named constant (the hot statements): know them all.
	consts := map[string]string{}
	for _, f := range parsed {
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i < len(vs.Values) {
							consts[name.Name] = stringLit(vs.Values[i], nil)
						}
					}
				}
			}
		}
	}
	out := map[string]bool{}
	for _, f := range parsed {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			writes, forgets := false, false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				switch name := sel.Sel.Name; {
				case cacheForgetters[name]:
					forgets = true
				case sqlCalls[name]:
					for _, a := range call.Args[:min(2, len(call.Args))] {
						if cachedTableSQL.MatchString(stringLit(a, consts)) {
							writes = true
						}
					}
				case gormWrites[name]:
					if namesCachedRow(call.Args...) || chainNamesCachedTable(sel.X) {
						writes = true
					}
				}
				return true
			})
			if writes {
				out[fn.Name.Name] = forgets
			}
		}
	}
	return out
}

// chainNamesCachedTable reports whether a GORM chain (db.Model(x).Where(...))
// sets its model or table to a cached one.
func chainNamesCachedTable(x ast.Expr) bool {
	for {
		call, ok := x.(*ast.CallExpr)
		if !ok {
			return false
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		switch sel.Sel.Name {
		case "Model":
			if namesCachedRow(call.Args...) {
				return true
			}
		case "Table":
			if len(call.Args) > 0 {
				if name := stringLit(call.Args[0], nil); name == "sessions" || name == "users" {
					return true
				}
			}
		}
		x = sel.X
	}
}

// namesCachedRow reports whether any expression is, or points at, a value
// of a cached row type: &sessionRow{}, &row where var row userRow, or row
// where row := userRow{...}. Only the expression itself counts: a field of
// a user row copied into another row (memberRow{UserID: u.ID}) is no write
// to users.
func namesCachedRow(exprs ...ast.Expr) bool {
	for _, e := range exprs {
		for {
			if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
				e = u.X
				continue
			}
			if p, ok := e.(*ast.ParenExpr); ok {
				e = p.X
				continue
			}
			break
		}
		switch e := e.(type) {
		case *ast.CompositeLit:
			if isCachedType(e.Type) {
				return true
			}
		case *ast.Ident:
			if e.Obj != nil && declaresCachedRow(e.Obj.Decl) {
				return true
			}
		}
	}
	return false
}

func declaresCachedRow(decl any) bool {
	switch d := decl.(type) {
	case *ast.Field: // a parameter
		return isCachedType(d.Type)
	case *ast.ValueSpec:
		if d.Type != nil && isCachedType(d.Type) {
			return true
		}
		for _, v := range d.Values {
			if c, ok := v.(*ast.CompositeLit); ok && isCachedType(c.Type) {
				return true
			}
		}
	case *ast.AssignStmt:
		for _, v := range d.Rhs {
			if c, ok := v.(*ast.CompositeLit); ok && isCachedType(c.Type) {
				return true
			}
		}
	}
	return false
}

func isCachedType(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return cachedRowTypes[e.Name]
	case *ast.ArrayType:
		return isCachedType(e.Elt)
	case *ast.StarExpr:
		return isCachedType(e.X)
	}
	return false
}

// stringLit is the value of a string literal or of a string constant named
// in consts, or "" for anything else.
func stringLit(e ast.Expr, consts map[string]string) string {
	if id, ok := e.(*ast.Ident); ok {
		return consts[id.Name]
	}
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return ""
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		return ""
	}
	return s
}
