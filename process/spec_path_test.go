//go:build linux

package process_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arbor-go/arbor/process"
	"github.com/arbor-go/arbor/supervisor"
	"github.com/arbor-go/arbor/supervisor/supervisortest"
)

// A relative path with a separator is run relative to Dir (os/exec's
// rule, since the program starts in Dir): Add must check that file, not
// one relative to the supervising process's own directory.
func TestRelativePathIsCheckedInTheProgramsDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prog.sh"), []byte("#!/bin/sh\nexit 7\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := &process.Program{Path: "./prog.sh", Dir: dir}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate of ./prog.sh in %s: %v, want nil (the file is there)", dir, err)
	}
	var ee *process.ExitError
	if err := p.Run(context.Background()); !errors.As(err, &ee) || ee.Status != 7 {
		t.Fatalf("Run = %v, want the exit status 7 of %s/prog.sh", err, dir)
	}

	// And the converse: a file relative to the supervising process's
	// directory, absent from Dir, is not the program.
	cwd := t.TempDir()
	if err := os.WriteFile(filepath.Join(cwd, "only-here.sh"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)
	p = &process.Program{Path: "./only-here.sh", Dir: dir}
	var ce *supervisor.ConfigError
	if err := p.Validate(); !errors.As(err, &ce) || ce.Field != "Program.Path" {
		t.Fatalf("Validate of ./only-here.sh in %s: %v, want a *ConfigError for Program.Path", dir, err)
	}
}

// Arguments and an environment that execve would refuse (a NUL byte, a
// string or a total past the kernel's limits) are a bad spec: a
// *ConfigError when the child is added, not a start that fails forever.
func TestArgumentsTheKernelWouldRefuseAreAConfigErrorWhenAdded(t *testing.T) {
	huge := strings.Repeat("x", 200<<10) // one string past MAX_ARG_STRLEN (128 KiB)
	many := make([]string, 0, 200)       // many strings, each fine, together past the stack limit's quarter
	for range cap(many) {
		many = append(many, "A="+strings.Repeat("y", 100<<10))
	}
	for _, tc := range []struct {
		name  string
		p     *process.Program
		field string
	}{
		{"NUL in an argument", &process.Program{Path: "/bin/true", Args: []string{"a\x00b"}}, "Program.Args"},
		{"NUL in the environment", &process.Program{Path: "/bin/true", Env: []string{"A=\x00"}}, "Program.Env"},
		{"NUL in the path", &process.Program{Path: "/bin/true\x00x"}, "Program.Path"},
		{"an argument too long", &process.Program{Path: "/bin/true", Args: []string{huge}}, "Program.Args"},
		{"a variable too long", &process.Program{Path: "/bin/true", Env: []string{"A=" + huge}}, "Program.Env"},
		{"an environment too large", &process.Program{Path: "/bin/true", Env: many}, "Program.Env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sup := supervisortest.New(t, "root")
			stop, _ := runTree(t, sup)
			defer stop()
			err := sup.Add(supervisor.Child{Name: "prog", Actor: tc.p})
			var ce *supervisor.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Add = %v, want a *ConfigError", err)
			}
			var inner *supervisor.ConfigError
			if !errors.As(ce.Err, &inner) || inner.Field != tc.field {
				t.Fatalf("Add = %v, want the program's *ConfigError for %s", err, tc.field)
			}
		})
	}
	// The limits are the kernel's, not tighter: a large environment it
	// takes is accepted and the program runs.
	p := &process.Program{Path: "/bin/true", Env: []string{"A=" + strings.Repeat("z", 100<<10)}}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate of a 100 KiB variable: %v", err)
	}
	if err := p.Run(context.Background()); err != nil {
		t.Fatalf("Run with a 100 KiB variable: %v", err)
	}
	_ = syscall.E2BIG
}
