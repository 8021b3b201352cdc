package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/jobs"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/web"
)

// JobRunner is the scheduler the jobs page drives; *jobs.Runner
// implements it.
type JobRunner interface {
	Jobs() []jobs.Info
	Has(name string) bool
	RunNow(name, by string) (int64, error)
	Reschedule(name, schedule string, enabled bool) error
}

// JobRecords is what the jobs pages read and write.
type JobRecords interface {
	JobRuns(ctx context.Context, job string, limit int) ([]models.JobRun, error)
	JobRun(ctx context.Context, id int64) (*models.JobRun, error)
	LastJobRuns(ctx context.Context) (map[string]models.JobRun, error)
	SaveJobSetting(ctx context.Context, actor catalog.Actor, set models.JobSetting) error
}

// recentRuns is how many runs the jobs page lists.
const recentRuns = 30

func (s *Server) showJobsPage(c echo.Context) error {
	if err := authorize(c, policy.JobsManage, policy.Object{Type: "job"}); err != nil {
		return err
	}
	return s.renderJobs(c, http.StatusOK, "", nil)
}

func (s *Server) renderJobs(c echo.Context, status int, failedJob string, errs web.FieldErrors) error {
	ctx := c.Request().Context()
	last, err := s.store.LastJobRuns(ctx)
	if err != nil {
		return err
	}
	runs, err := s.store.JobRuns(ctx, "", recentRuns)
	if err != nil {
		return err
	}
	var p web.JobsPage
	if s.jobs != nil {
		for _, j := range s.jobs.Jobs() {
			row := web.JobRow{Name: j.Name, Title: j.Title, Description: j.Description, Schedule: j.Schedule, Enabled: j.Enabled, Next: j.Next, Running: j.Running}
			if r, ok := last[j.Name]; ok {
				v := runView(r)
				row.Last = &v
			}
			if j.Name == failedJob {
				row.Errors = errs
			}
			p.Jobs = append(p.Jobs, row)
		}
	}
	for _, r := range runs {
		p.Runs = append(p.Runs, runView(r))
	}
	return s.render(c, status, web.Jobs(s.layout(c, "Jobs"), p))
}

func runView(r models.JobRun) web.RunRow {
	v := web.RunRow{ID: r.ID, Job: r.Job, Trigger: r.Trigger, StartedBy: r.StartedBy, Instance: r.Instance, StartedAt: r.StartedAt,
		FinishedAt: r.FinishedAt, Status: r.Status, Done: r.Done, Total: r.Total, Error: r.Error}
	for name, n := range r.CountMap() {
		v.Counts = append(v.Counts, web.Count{Name: name, Value: n})
	}
	sort.Slice(v.Counts, func(i, j int) bool { return v.Counts[i].Name < v.Counts[j].Name })
	return v
}

// jobName checks the :job parameter names a registered job.
func (s *Server) jobName(c echo.Context) (string, error) {
	name := c.Param("job")
	if s.jobs == nil || !s.jobs.Has(name) {
		return "", echo.NewHTTPError(http.StatusNotFound, "No job is named "+strconv.Quote(name)+".")
	}
	return name, nil
}

// startJob starts a run of the :job the admin asked for and returns its id;
// whereToFollow ends the 409 a running job gets.
func (s *Server) startJob(c echo.Context, whereToFollow string) (int64, error) {
	if err := authorize(c, policy.JobsManage, policy.Object{Type: "job"}); err != nil {
		return 0, err
	}
	name, err := s.jobName(c)
	if err != nil {
		return 0, err
	}
	id, err := s.jobs.RunNow(name, actor(c).Name)
	if errors.Is(err, jobs.ErrRunning) {
		return 0, echo.NewHTTPError(http.StatusConflict, fmt.Sprintf("Job %q is already running; %s.", name, whereToFollow)).SetInternal(err)
	}
	return id, err
}

func (s *Server) runJobNow(c echo.Context) error {
	id, err := s.startJob(c, "follow it from the jobs page")
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/jobs/runs/"+strconv.FormatInt(id, 10))
}

// scheduleForm is a job's schedule as posted.
type scheduleForm struct {
	Schedule string `form:"schedule"`
	Enabled  bool   `form:"enabled"`
}

func (s *Server) saveJobSchedule(c echo.Context) error {
	if err := authorize(c, policy.JobsManage, policy.Object{Type: "job"}); err != nil {
		return err
	}
	name, err := s.jobName(c)
	if err != nil {
		return err
	}
	var f scheduleForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	f.Schedule = strings.TrimSpace(f.Schedule)
	if err := jobs.ParseSchedule(f.Schedule); err != nil {
		return s.renderJobs(c, http.StatusUnprocessableEntity, name, web.FieldErrors{"schedule": err.Error()})
	}
	// Stored first: a schedule that is running but not saved would be lost
	// at the next restart without anyone noticing.
	if err := s.store.SaveJobSetting(c.Request().Context(), actor(c), models.JobSetting{Job: name, Schedule: f.Schedule, Enabled: f.Enabled}); err != nil {
		return err
	}
	if err := s.jobs.Reschedule(name, f.Schedule, f.Enabled); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/jobs")
}

func (s *Server) showJobRunPage(c echo.Context) error {
	if err := authorize(c, policy.JobsManage, policy.Object{Type: "job"}); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such run.")
	}
	r, err := s.store.JobRun(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if r.Status == jobs.StatusRunning {
		// Progress without script: the browser reloads while it runs.
		c.Response().Header().Set("Refresh", "2")
	}
	return s.render(c, http.StatusOK, web.Run(s.layout(c, "Job run"), web.RunPage{Run: runView(*r)}))
}
