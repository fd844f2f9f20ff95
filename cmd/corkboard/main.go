// Command corkboard runs the Corkboard server and its admin tasks.
//
//	corkboard [serve]                      start the server (the default)
//	corkboard migrate                      apply database migrations and exit
//	corkboard user create --email E --name N   create an account (password from stdin)
//	corkboard version                      print the version
//
// Configuration comes from the environment; see README.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/corkboard/corkboard/app"
	"github.com/corkboard/corkboard/models"
	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program, callable from tests: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	cfg, err := app.ConfigFromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "corkboard: configuration:", err)
		return 2
	}
	cfg.Version = version
	cfg.Logger = newLogger(stderr, cfg.LogLevel)
	switch cmd {
	case "serve":
		err = serve(ctx, cfg)
	case "migrate":
		err = migrate(ctx, cfg, stdout)
	case "user":
		err = user(ctx, cfg, args, stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "corkboard", version)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
	default:
		fmt.Fprintf(stderr, "corkboard: unknown command %q\n%s\n", cmd, usage)
		return 2
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "corkboard:", err)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "corkboard:", err)
		return 1
	}
	return 0
}

const usage = `usage:
  corkboard [serve]                              start the server (default)
  corkboard migrate                              apply database migrations and exit
  corkboard user create --email E --name N       create an account; the password is read from stdin
  corkboard version                              print the version
Configuration is read from the environment (see README.md).`

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// newLogger logs JSON unless stderr is a terminal.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func serve(ctx context.Context, cfg app.Config) error {
	srv, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

func migrate(ctx context.Context, cfg app.Config, stdout io.Writer) error {
	store, err := models.Open(ctx, cfg.DatabaseURL, models.Options{Logger: cfg.Logger})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func user(ctx context.Context, cfg app.Config, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"usage: corkboard user create --email E --name N"}
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name (required)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if *email == "" || *name == "" {
		return usageError{"user create needs --email and --name"}
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	srv, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Shutdown(context.Background())
	u, err := srv.CreateUser(ctx, *email, password, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %s <%s> (id %s)\n", u.DisplayName, u.Email, u.ID)
	return nil
}

// readPassword prompts without echo on a terminal, else reads one line.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
