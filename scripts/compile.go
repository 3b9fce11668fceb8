package scripts

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// concatGuard is the global function every ".." of a script is compiled
// into: it builds the string under the size limit. A script that replaces
// it gains nothing, since its replacement's own ".." calls it too.
const concatGuard = "__floe_concat"

// Program is a compiled script: Lua bytecode, shared read-only by every
// state that runs it.
type Program struct {
	// Name is the script's configured name; File where it was read from.
	Name, File string
	proto      *lua.FunctionProto
}

// Error is a script mistake with its position in the script's file, for
// file:line diagnostics. Line and Column are 0 when unknown.
type Error struct {
	File         string
	Line, Column int
	Message      string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Message)
}

// Compile parses and compiles a script's source; file names it in errors
// and in the positions of runtime errors. A mistake is an *Error.
func Compile(name, file string, src []byte) (*Program, error) {
	chunk, err := parse.Parse(bytes.NewReader(src), file)
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) {
			e := &Error{File: file, Message: strings.TrimSpace(pe.Message)}
			if pe.Pos.Line != parse.EOF {
				e.Line, e.Column = pe.Pos.Line, tokenStart(src, pe.Pos.Line, pe.Pos.Column, pe.Token)
				if pe.Token != "" {
					e.Message += fmt.Sprintf(" near '%s'", pe.Token)
				}
			} else {
				e.Line = bytes.Count(bytes.TrimRight(src, "\n"), []byte("\n")) + 1
				e.Message += " at the end of the file"
			}
			return nil, e
		}
		return nil, &Error{File: file, Message: err.Error()}
	}
	guardConcat(chunk)
	proto, err := lua.Compile(chunk, file)
	if err != nil {
		var ce *lua.CompileError
		if errors.As(err, &ce) {
			return nil, &Error{File: file, Line: ce.Line, Message: ce.Message}
		}
		return nil, &Error{File: file, Message: err.Error()}
	}
	if hasConcat(proto) {
		// guardConcat missed a syntax form: refuse rather than run a script
		// whose strings escape the limit.
		return nil, &Error{File: file, Message: "internal error: an unguarded string concatenation remains (a bug in floe)"}
	}
	return &Program{Name: name, File: file, proto: proto}, nil
}

// tokenStart is the column where a token starts: gopher-lua reports the
// column of its last character.
func tokenStart(src []byte, line, col int, token string) int {
	lines := bytes.Split(src, []byte("\n"))
	if token == "" || line < 1 || line > len(lines) {
		return col
	}
	l := lines[line-1]
	if start := col - len(token); start >= 0 && col <= len(l) && string(l[start:col]) == token {
		return start + 1
	}
	return col
}

// hasConcat reports whether any function of p still has a CONCAT opcode.
func hasConcat(p *lua.FunctionProto) bool {
	for _, inst := range p.Code {
		if int(inst>>26) == lua.OP_CONCAT {
			return true
		}
	}
	for _, f := range p.FunctionPrototypes {
		if hasConcat(f) {
			return true
		}
	}
	return false
}

// runtimePosition matches the "file:line:" prefix gopher-lua puts on a
// runtime error raised in a script.
var runtimePosition = regexp.MustCompile(`^(.*?):(\d+): `)

// runtimeError turns an error from running a script into an *Error with
// the position Lua reported, when it names the script's file.
func runtimeError(file string, err error) error {
	var ae *lua.ApiError
	msg := err.Error()
	if errors.As(err, &ae) {
		msg = lua.LVAsString(ae.Object)
		if ae.Object == nil || ae.Object.Type() != lua.LTString {
			msg = ae.Error()
		}
	}
	if m := runtimePosition.FindStringSubmatch(msg); m != nil && m[1] == file {
		line, _ := strconv.Atoi(m[2])
		return &Error{File: file, Line: line, Message: msg[len(m[0]):]}
	}
	return &Error{File: file, Message: msg}
}

// guardConcat rewrites every ".." of a chunk into a call of concatGuard,
// with a whole right-associative chain (a .. b .. c) as one call.
func guardConcat(stmts []ast.Stmt) {
	for _, s := range stmts {
		guardStmt(s)
	}
}

func guardStmt(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.AssignStmt:
		guardExprs(s.Lhs)
		guardExprs(s.Rhs)
	case *ast.LocalAssignStmt:
		guardExprs(s.Exprs)
	case *ast.FuncCallStmt:
		s.Expr = guardExpr(s.Expr)
	case *ast.DoBlockStmt:
		guardConcat(s.Stmts)
	case *ast.WhileStmt:
		s.Condition = guardExpr(s.Condition)
		guardConcat(s.Stmts)
	case *ast.RepeatStmt:
		s.Condition = guardExpr(s.Condition)
		guardConcat(s.Stmts)
	case *ast.IfStmt:
		s.Condition = guardExpr(s.Condition)
		guardConcat(s.Then)
		guardConcat(s.Else)
	case *ast.NumberForStmt:
		s.Init = guardExpr(s.Init)
		s.Limit = guardExpr(s.Limit)
		s.Step = guardExpr(s.Step)
		guardConcat(s.Stmts)
	case *ast.GenericForStmt:
		guardExprs(s.Exprs)
		guardConcat(s.Stmts)
	case *ast.FuncDefStmt:
		if s.Name != nil {
			s.Name.Func = guardExpr(s.Name.Func)
			s.Name.Receiver = guardExpr(s.Name.Receiver)
		}
		guardExpr(s.Func)
	case *ast.ReturnStmt:
		guardExprs(s.Exprs)
	}
}

func guardExprs(es []ast.Expr) {
	for i, e := range es {
		es[i] = guardExpr(e)
	}
}

func guardExpr(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case *ast.StringConcatOpExpr:
		var args []ast.Expr
		var x ast.Expr = e
		for {
			c, ok := x.(*ast.StringConcatOpExpr)
			if !ok {
				break
			}
			args = append(args, guardExpr(c.Lhs))
			x = c.Rhs
		}
		args = append(args, guardExpr(x))
		fn := &ast.IdentExpr{Value: concatGuard}
		fn.SetLine(e.Line())
		fn.SetLastLine(e.LastLine())
		call := &ast.FuncCallExpr{Func: fn, Args: args}
		call.SetLine(e.Line())
		call.SetLastLine(e.LastLine())
		return call
	case *ast.AttrGetExpr:
		e.Object = guardExpr(e.Object)
		e.Key = guardExpr(e.Key)
	case *ast.TableExpr:
		for _, f := range e.Fields {
			f.Key = guardExpr(f.Key)
			f.Value = guardExpr(f.Value)
		}
	case *ast.FuncCallExpr:
		e.Func = guardExpr(e.Func)
		e.Receiver = guardExpr(e.Receiver)
		guardExprs(e.Args)
	case *ast.LogicalOpExpr:
		e.Lhs = guardExpr(e.Lhs)
		e.Rhs = guardExpr(e.Rhs)
	case *ast.RelationalOpExpr:
		e.Lhs = guardExpr(e.Lhs)
		e.Rhs = guardExpr(e.Rhs)
	case *ast.ArithmeticOpExpr:
		e.Lhs = guardExpr(e.Lhs)
		e.Rhs = guardExpr(e.Rhs)
	case *ast.UnaryMinusOpExpr:
		e.Expr = guardExpr(e.Expr)
	case *ast.UnaryNotOpExpr:
		e.Expr = guardExpr(e.Expr)
	case *ast.UnaryLenOpExpr:
		e.Expr = guardExpr(e.Expr)
	case *ast.FunctionExpr:
		guardConcat(e.Stmts)
	}
	return e
}
