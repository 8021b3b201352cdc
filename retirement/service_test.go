package retirement_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/lifecycle"
	"github.com/steward-governance/steward/retirement"
)

// memory is a Store and Traffic in memory: cases, what each step wrote,
// and legitimate traffic the test sets per day.
type memory struct {
	mu      sync.Mutex
	cases   map[int64]retirement.Case
	changes []retirement.Change
	stage   catalog.Stage
	// daily is legitimate requests per day; consumers per day likewise.
	daily, consumers map[time.Time]int64
	covered          bool
}

func newMemory() *memory {
	return &memory{cases: map[int64]retirement.Case{}, stage: catalog.StageProduction, daily: map[time.Time]int64{}, consumers: map[time.Time]int64{}, covered: true}
}

func (m *memory) RetirementSettings(context.Context) (retirement.Settings, error) {
	return retirement.Settings{GracePercent: 1}.WithDefaults(), nil
}

func (m *memory) RetirementTarget(_ context.Context, api, version string) (*retirement.Target, error) {
	return &retirement.Target{VersionID: 3, APISlug: api, APIName: "Pets", Version: version, Stage: m.stage, TeamSlug: "zoo",
		Visibility: catalog.VisibilityInternal, Operations: []string{"GET /pets"}}, nil
}

func (m *memory) OpenCase(_ context.Context, _ catalog.Actor, c *retirement.Case, change func(retirement.Case) retirement.Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c.ID = int64(len(m.cases) + 1)
	m.cases[c.ID] = *c
	m.changes = append(m.changes, change(*c))
	return nil
}

func (m *memory) Case(_ context.Context, id int64) (*retirement.Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cases[id]
	if !ok {
		return nil, catalog.ErrNotFound
	}
	return &c, nil
}

func (m *memory) SaveCase(_ context.Context, _ catalog.Actor, c *retirement.Case, revision int, ch retirement.Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cases[c.ID].Revision != revision {
		return retirement.ErrStale
	}
	if ch.Move != nil {
		m.stage = ch.Move.To
	}
	c.Revision = revision + 1
	m.cases[c.ID] = *c
	m.changes = append(m.changes, ch)
	return nil
}

func (m *memory) sum(series map[time.Time]int64, from, to time.Time) int64 {
	var n int64
	for d, v := range series {
		if !d.Before(from.Truncate(24*time.Hour)) && d.Before(to) {
			n += v
		}
	}
	return n
}

func (m *memory) LegitimateRequests(_ context.Context, _ uint, _ []string, from, to time.Time) (int64, error) {
	return m.sum(m.daily, from, to), nil
}

func (m *memory) LegitimateConsumers(_ context.Context, _ uint, _ []string, from, to time.Time) (int, error) {
	n := 0
	for d, v := range m.consumers {
		if !d.Before(from.Truncate(24*time.Hour)) && d.Before(to) && int(v) > n {
			n = int(v)
		}
	}
	return n, nil
}

func (m *memory) TrafficCovered(context.Context, uint, time.Time, time.Time) (bool, error) {
	return m.covered, nil
}

// kinds lists the notification kinds written so far.
func (m *memory) kinds() []string {
	var out []string
	for _, ch := range m.changes {
		for _, n := range ch.Notify {
			out = append(out, n.Kind)
		}
	}
	return out
}

// clock is a fake clock the test moves.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// calls sets daily legitimate traffic from one day up to another.
func (m *memory) calls(from, to time.Time, perDay, consumers int64) {
	for d := from.Truncate(24 * time.Hour); d.Before(to); d = d.AddDate(0, 0, 1) {
		m.daily[d], m.consumers[d] = perDay, consumers
	}
}

// walk runs the daily follow-up from the clock's day until the case is
// closed or until stop, returning the events taken by day.
func walk(t *testing.T, svc *retirement.Service, m *memory, clk *clock, id int64, stop time.Time) []string {
	t.Helper()
	var log []string
	for ; clk.now.Before(stop); clk.now = clk.now.AddDate(0, 0, 1) {
		c, _ := m.Case(context.Background(), id)
		if !c.State.Open() {
			break
		}
		set, _ := m.RetirementSettings(context.Background())
		ev, err := svc.FollowUp(context.Background(), *c, set)
		if err != nil {
			t.Fatalf("%s: %v", clk.now.Format(time.DateOnly), err)
		}
		if ev != "" {
			log = append(log, clk.now.Format(time.DateOnly)+" "+string(ev))
		}
	}
	return log
}

// A zombie: proposed, approved (deprecated with a 90-day notice),
// reminded at 30, 7 and 1 days, and retired at the sunset because nobody
// called.
func TestCaseWalksFromProposalToRetired(t *testing.T) {
	ctx := context.Background()
	m := newMemory()
	clk := &clock{now: time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)}
	svc := &retirement.Service{Store: m, Traffic: m, Now: clk.Now, Gates: func(context.Context) (lifecycle.Gates, error) { return lifecycle.DefaultGates, nil }}
	// Busy before the proposal, silent after.
	m.calls(clk.now.AddDate(0, 0, -60), clk.now.AddDate(0, 0, -30), 500, 3)

	c, err := svc.Open(ctx, retirement.SystemActor("zombies"), "pets", "v1", retirement.Proposal{Reason: "zombie", MigrationNotes: "none expected"})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.changes[0]; len(got.Ask) != 1 || got.Ask[0].TeamSlug != "zoo" || got.Ask[0].Key != "retirement:1:approve" || got.Notify[0].Kind != "proposed" {
		t.Fatalf("opening asked %+v and told %+v", got.Ask, got.Notify)
	}
	clk.now = clk.now.Add(26 * time.Hour)
	approved, err := svc.Act(ctx, actorAs(retirement.RoleOwner), c.ID, retirement.Approve, retirement.Input{})
	if err != nil {
		t.Fatal(err)
	}
	sunset := time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC) // 6 Jan + 90 days
	if approved.State != retirement.Approved || !approved.Sunset.Equal(sunset) || m.stage != catalog.StageDeprecated {
		t.Fatalf("approval: %s, sunset %s, version %s", approved.State, approved.Sunset, m.stage)
	}
	if last := m.changes[len(m.changes)-1]; !slices.Equal(last.Resolve, []string{"retirement:1:approve"}) || last.Move.To != catalog.StageDeprecated {
		t.Errorf("approval change: %+v", last)
	}

	log := walk(t, svc, m, clk, c.ID, sunset.AddDate(0, 0, 5))
	want := []string{"2026-03-07 remind", "2026-03-30 remind", "2026-04-05 remind", "2026-04-06 retire"}
	if !slices.Equal(log, want) {
		t.Errorf("follow-up\n got %v\nwant %v", log, want)
	}
	done, _ := m.Case(ctx, c.ID)
	if done.State != retirement.Retired || m.stage != catalog.StageRetired || done.Reminded != 1 {
		t.Errorf("after the sunset: case %s (reminded %d), version %s", done.State, done.Reminded, m.stage)
	}
	if got := strings.Join(m.kinds(), ","); got != "proposed,approved,reminder,reminder,reminder,retired" {
		t.Errorf("notifications: %s", got)
	}
}

// A version still called at its sunset is blocked and escalated; the
// owners extend the sunset, the consumers leave, and it retires at the
// new sunset.
func TestCaseWalksFromBlockedToExtendedToRetired(t *testing.T) {
	ctx := context.Background()
	m := newMemory()
	clk := &clock{now: time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)}
	svc := &retirement.Service{Store: m, Traffic: m, Now: clk.Now}
	m.calls(clk.now.AddDate(0, 0, -30), clk.now.AddDate(0, 0, 200), 1000, 4)

	sunset := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	c, err := svc.Open(ctx, actorAs(retirement.RoleGovernance), "pets", "v1",
		retirement.Proposal{Reason: "v2 is out", MigrationNotes: "move to v2", Sunset: sunset, Replacement: "https://pets.example.com/v2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Act(ctx, actorAs(retirement.RoleOwner), c.ID, retirement.Approve, retirement.Input{}); err != nil {
		t.Fatal(err)
	}
	log := walk(t, svc, m, clk, c.ID, sunset.AddDate(0, 0, 3))
	if want := []string{"2026-01-05 remind", "2026-01-25 remind", "2026-01-31 remind", "2026-02-01 block"}; !slices.Equal(log, want) {
		t.Errorf("follow-up to the sunset\n got %v\nwant %v", log, want)
	}
	blocked, _ := m.Case(ctx, c.ID)
	if blocked.State != retirement.Blocked || blocked.Consumers != 4 || m.stage != catalog.StageDeprecated {
		t.Fatalf("at the sunset: %s by %d consumers, version %s", blocked.State, blocked.Consumers, m.stage)
	}
	var escalated bool
	for _, ch := range m.changes {
		for _, it := range ch.Ask {
			escalated = escalated || (it.Key == "retirement:1:blocked" && it.TeamSlug == "zoo")
		}
	}
	if !escalated {
		t.Error("the block put nothing in the owners' inbox")
	}
	// Only owners extend; the sunset must move later.
	if _, err := svc.Act(ctx, actorAs(retirement.RoleGovernance), c.ID, retirement.Extend, retirement.Input{Sunset: sunset.AddDate(0, 1, 0)}); err == nil {
		t.Error("a governance lead extended the sunset")
	}
	newSunset := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	extended, err := svc.Act(ctx, actorAs(retirement.RoleOwner), c.ID, retirement.Extend, retirement.Input{Sunset: newSunset})
	if err != nil || extended.State != retirement.Approved || extended.Reminded != 0 || !extended.Sunset.Equal(newSunset) {
		t.Fatalf("extend: %v %+v", err, extended)
	}
	// The consumers move away in the first week of March.
	for d := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC); d.Before(newSunset.AddDate(0, 0, 30)); d = d.AddDate(0, 0, 1) {
		m.daily[d], m.consumers[d] = 0, 0
	}
	m.daily[time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)] = 5 // within 1% of the 7,000 before the notice
	log = walk(t, svc, m, clk, c.ID, newSunset.AddDate(0, 0, 3))
	if want := []string{"2026-02-13 remind", "2026-03-08 remind", "2026-03-14 remind", "2026-03-15 retire"}; !slices.Equal(log, want) {
		t.Errorf("follow-up after the extension\n got %v\nwant %v", log, want)
	}
	done, _ := m.Case(ctx, c.ID)
	if done.State != retirement.Retired || m.stage != catalog.StageRetired {
		t.Errorf("end: %s, version %s", done.State, m.stage)
	}
	if last := m.changes[len(m.changes)-1]; last.Move == nil || !strings.Contains(last.Move.Override, "within the grace") {
		t.Errorf("retiring within the grace must override the quiet-traffic gate: %+v", last.Move)
	}
}

// Without coverage a sunset cannot retire: silence proves nothing.
func TestSunsetWithoutCoverageBlocks(t *testing.T) {
	grace := retirement.Settings{GracePercent: 1}
	ev, why := retirement.SunsetCheck{Covered: false}.Weigh(grace)
	if ev != retirement.Block || !strings.Contains(why, "cannot tell") {
		t.Errorf("%s: %s", ev, why)
	}
	for _, tc := range []struct {
		final, before int64
		want          retirement.Event
	}{
		{0, 0, retirement.Retire}, {1, 0, retirement.Block}, {10, 1000, retirement.Retire}, {11, 1000, retirement.Block},
	} {
		if ev, _ := (retirement.SunsetCheck{Covered: true, Final: tc.final, Before: tc.before, Consumers: 1}).Weigh(grace); ev != tc.want {
			t.Errorf("final %d before %d: %s, want %s", tc.final, tc.before, ev, tc.want)
		}
	}
}

// Two people deciding at once get one outcome: the loser is re-decided
// on the winner's case and refused.
func TestConcurrentDecisionsGetOneOutcome(t *testing.T) {
	ctx := context.Background()
	m := newMemory()
	svc := &retirement.Service{Store: m}
	c, _ := svc.Open(ctx, actorAs(retirement.RoleOwner), "pets", "v1", retirement.Proposal{Reason: "x", MigrationNotes: "y"})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, ev := range []retirement.Event{retirement.Approve, retirement.Reject} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Act(ctx, actorAs(retirement.RoleOwner), c.ID, ev, retirement.Input{Text: "no"})
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("approve: %v, reject: %v; want exactly one to succeed", errs[0], errs[1])
	}
	got, _ := m.Case(ctx, c.ID)
	if (errs[0] == nil) != (got.State == retirement.Approved) {
		t.Errorf("case %s but approve returned %v", got.State, errs[0])
	}
	if fmt.Sprint(len(m.changes)) != "2" {
		t.Errorf("%d changes written, want the opening and one decision", len(m.changes))
	}
}
