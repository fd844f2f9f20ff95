// Command corkboard runs the Corkboard server and its admin tasks.
//
//	corkboard [serve]                      start the server (the default)
//	corkboard migrate                      apply database migrations and exit
//	corkboard user create --email E --name N   create an account (password from stdin)
//	corkboard backup FILE                  copy a SQLite database to FILE while it serves
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
	_ "time/tzdata" // project time zones load where the system has no zoneinfo

	"github.com/corkboard/corkboard/app"
	"github.com/corkboard/corkboard/app/config"
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
	env, err := config.FromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "corkboard: configuration:", err)
		return 2
	}
	cfg := app.Config{Config: env}
	cfg.Version = version
	cfg.Logger = newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	switch cmd {
	case "serve":
		err = serve(ctx, cfg)
	case "migrate":
		err = migrate(ctx, cfg, stdout)
	case "user":
		err = user(ctx, cfg, args, stdin, stdout, stderr)
	case "backup":
		err = backup(ctx, cfg, args, stdout)
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
  corkboard backup FILE                          copy the SQLite database to FILE (a new file), online
  corkboard version                              print the version
Configuration is read from the environment (see README.md).`

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// newLogger logs in LOG_FORMAT; unset, JSON (for log collectors) unless
// stderr is a terminal (someone reading: text).
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
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

// backup copies a SQLite database to a new file while the app may be
// serving. PostgreSQL is backed up with pg_dump: backup says how, and fails
// so that a script does not mistake the advice for a backup.
func backup(ctx context.Context, cfg app.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" || strings.HasPrefix(args[0], "-") {
		return usageError{"usage: corkboard backup FILE"}
	}
	file := args[0]
	if path, ok := strings.CutPrefix(cfg.DatabaseURL, "sqlite://"); ok {
		// Opening a missing SQLite file would create an empty database and
		// back that up.
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no database to back up: %w", err)
		}
	}
	store, err := models.Open(ctx, cfg.DatabaseURL, models.Options{Logger: cfg.Logger})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Backup(ctx, file); errors.Is(err, models.ErrBackupUnsupported) {
		return fmt.Errorf("PostgreSQL is backed up with pg_dump, with DATABASE_URL set as for the app:\n"+
			"  pg_dump --format=custom --file=%s \"$DATABASE_URL\"\n"+
			"and restored into an empty database with:\n"+
			"  pg_restore --no-owner --dbname=\"$DATABASE_URL\" %s", shellQuote(file), shellQuote(file))
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up to %s\n", file)
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
