package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/app/transfer"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Export and import (app/transfer has the rules): the export streams from
// the store; an import is read here (the upload route alone may send up
// to maxImportFileBytes: importBodyLimit) and runs in the background.

const (
	maxImportFileBytes = 50 << 20
	maxImportBodyBytes = maxImportFileBytes + 1<<20 // the file and its multipart envelope
	importsPerInstance = 2                          // at once; more answer 429 (each holds its file in memory)
	exportTimeout      = 10 * time.Minute
)

// isImportUpload reports whether a request is one of the two routes that
// take a file: the API's and the import page's.
func isImportUpload(method, path string) bool {
	return method == fiber.MethodPost && (path == "/api/v1/imports" || path == "/imports")
}

func (s *Server) apiExport(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	format := c.Query("format", "json")
	if format != "json" && format != "csv" {
		return fieldErrors(models.FieldError{Field: "format", Message: "must be json or csv"})
	}
	ex, err := transfer.OpenExport(c.UserContext(), s.store, user.ID, c.Params("pid"))
	if err != nil {
		return err
	}
	name := strings.ToLower(ex.Key()) + "-export." + format
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	if format == "csv" {
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	} else {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	}
	now := s.now()
	// The body is written after the handler returns, a page of issues at
	// a time; an error then can only cut the response short (and is logged).
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		var err error
		if format == "csv" {
			err = ex.WriteCSV(ctx, w)
		} else {
			err = ex.WriteJSON(ctx, w, now)
		}
		if err != nil {
			s.log.Warn("export cut short", "project", c.Params("pid"), "err", err)
		}
	})
	return nil
}

// importRequest is an upload, read and checked: the file's bytes, its
// source and the project name asked for.
type importRequest struct {
	source, name string
	data         []byte
}

// readImport reads and checks an upload's form (the API's and the page's).
func readImport(c *fiber.Ctx) (importRequest, error) {
	req := importRequest{source: c.FormValue("source"), name: c.FormValue("name")}
	var fields []models.FieldError
	if !transfer.ValidSource(req.source) {
		fields = append(fields, models.FieldError{Field: "source", Message: "must be corkboard, trello or csv"})
	}
	if !models.ValidText(req.name) || utf8.RuneCountInString(req.name) > 100 {
		fields = append(fields, models.FieldError{Field: "name", Message: "must be at most 100 characters of text"})
	}
	fh, err := c.FormFile("file")
	if err != nil {
		fields = append(fields, models.FieldError{Field: "file", Message: "is required (a multipart/form-data file)"})
		return req, fieldErrors(fields...)
	}
	if fh.Size > maxImportFileBytes {
		return req, newProblem(fiber.StatusRequestEntityTooLarge, "too-large", "File too large",
			"An import file may be at most 50 MB.")
	}
	if len(fields) > 0 {
		return req, fieldErrors(fields...)
	}
	f, err := fh.Open()
	if err != nil {
		return req, badRequest("The file could not be read.")
	}
	defer f.Close()
	if req.data, err = io.ReadAll(io.LimitReader(f, maxImportFileBytes+1)); err != nil {
		return req, badRequest("The file could not be read.")
	}
	if msg := sniffImport(req.source, req.data); msg != "" {
		return req, fieldErrors(models.FieldError{Field: "file", Message: msg})
	}
	return req, nil
}

// sniffImport refuses at once a file that cannot be what source says
// (the rest is checked by the import, which fails the job with a reason).
func sniffImport(source string, data []byte) string {
	head := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(head) == 0:
		return "is empty"
	case source != transfer.SourceCSV && head[0] != '{':
		return "must be a JSON object (the " + source + " export)"
	case source == transfer.SourceCSV && bytes.IndexByte(data[:min(len(data), 4096)], 0) >= 0:
		return "must be a CSV text file"
	}
	return ""
}

var errImportsBusy = newProblem(fiber.StatusTooManyRequests, "imports-busy", "Imports busy",
	"Two imports are running on this server; try again in a minute.")

// startImport queues a job for user and runs it in the background.
func (s *Server) startImport(ctx context.Context, user models.User, req importRequest) (models.ImportJob, error) {
	select {
	case s.importSlots <- struct{}{}:
	default:
		return models.ImportJob{}, errImportsBusy
	}
	job, err := s.store.CreateImport(ctx, user.ID, req.source)
	if err != nil {
		<-s.importSlots
		return models.ImportJob{}, err
	}
	s.importRuns.Add(1)
	go func() {
		defer s.importRuns.Done()
		defer func() { <-s.importSlots }()
		if err := s.importer.Run(s.importCtx, job.ID, user, req.source, req.name, req.data); err != nil {
			s.log.Info("import failed", "job", job.ID, "err", err)
		}
	}()
	return job, nil
}

func (s *Server) apiCreateImport(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	req, err := readImport(c)
	if err != nil {
		return err
	}
	job, err := s.startImport(c.UserContext(), user, req)
	if errors.Is(err, errImportsBusy) {
		c.Set(fiber.HeaderRetryAfter, "60")
	}
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"id": job.ID, "status": job.Status})
}

func (s *Server) apiGetImport(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	job, err := s.store.GetImport(c.UserContext(), user.ID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(job)
}

// newImporter builds the import runner with the planning rules.
func (s *Server) newImporter() *transfer.Importer {
	rules := planning.Rules{Now: s.now}
	return &transfer.Importer{Store: s.store, Now: s.now, Log: s.log, Rules: transfer.Rules{
		CheckEffort: rules.CheckEffort,
		CheckCycle: func(startsOn, endsOn string) string {
			if errs := (planning.Period{StartsOn: startsOn, EndsOn: endsOn}).Check(); len(errs) > 0 {
				return errs[0].Field + " " + errs[0].Message
			}
			return ""
		},
		CheckSettings: func(ps models.ProjectSettings) error {
			errs := planning.Settings{EstimateScale: &ps.EstimateScale, UnestimatedEffort: &ps.UnestimatedEffort,
				Timezone: &ps.Timezone, CapacityPolicy: &ps.CapacityPolicy}.Check()
			if len(errs) > 0 {
				return errors.New(errs[0].Field + " " + errs[0].Message)
			}
			return nil
		},
	}}
}

// importStaleAfter: with several instances, a job whose heartbeat (each
// batch) is older than this belongs to an instance that died.
const importStaleAfter = 2 * time.Minute

// failInterruptedImports fails the jobs no process is running any more,
// deleting their half-written projects. With one instance (no Redis)
// every unfinished job at start is one; with several, those whose
// heartbeat stopped.
func (s *Server) failInterruptedImports(ctx context.Context, atStart bool) {
	var before time.Time
	if !atStart || s.redis != nil {
		before = s.now().Add(-importStaleAfter)
	}
	n, err := s.store.FailUnfinishedImports(ctx, before, "the server restarted during the import; nothing was created, upload the file again")
	if err != nil {
		s.log.Warn("failing interrupted imports", "err", err)
	} else if n > 0 {
		s.log.Info("failed interrupted imports", "jobs", n)
	}
}

// importSweepLoop fails, every minute, the jobs of instances that died.
func (s *Server) importSweepLoop() {
	s.everyInterval(time.Minute, "failing interrupted imports", func(ctx context.Context) error {
		s.failInterruptedImports(ctx, false) // it logs what it did
		return nil
	})
}
