package worker_test

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

var recordUpgrade = flag.Bool("record-upgrade", false, "with -history-release, save the running lifecycles this build leaves as testdata/upgrade/RELEASE.tar.gz")

// upgradeDir holds, per release, the embedded server's data and the app
// database as that release's build left them: lifecycles still running.
const upgradeDir = historyDir + "/upgrade"

// upgradeStaff is the person whose lifecycles each snapshot leaves running.
const upgradeStaff = "sw-u"

// A lifecycle started by an earlier build completes on this one: each
// snapshot's server and database are brought up with today's worker, the
// person leaves, and every lifecycle closes and its history replays.
// With -record-upgrade -history-release=NAME this build's snapshot is saved
// (beside the earlier ones, never over them).
func TestUpgradeFromEarlierBuilds(t *testing.T) {
	if *recordUpgrade {
		recordUpgradeSnapshot(t)
	}
	snaps, err := filepath.Glob(filepath.Join(upgradeDir, "*.tar.gz"))
	if err != nil || len(snaps) == 0 {
		t.Fatalf("no snapshots in %s (%v)", upgradeDir, err)
	}
	for _, snap := range snaps {
		t.Run(filepath.Base(snap), func(t *testing.T) {
			dir := t.TempDir()
			if err := untar(snap, dir); err != nil {
				t.Fatal(err)
			}
			r := newRecorderIn(t, dir)
			lifecycles := []string{workflows.ID(workflows.KindAgreement, upgradeStaff), workflows.ID(workflows.KindSupervision, upgradeStaff)}
			for _, id := range lifecycles {
				if d, err := r.c.DescribeWorkflowExecution(r.ctx, id, ""); err != nil || d.WorkflowExecutionInfo.CloseTime != nil {
					t.Fatalf("%s is not running in the snapshot: %v", id, err)
				}
			}
			leave := workflows.LeaveInput{
				Staff:      upgradeStaffRecord(t),
				Signal:     workflows.LeaveSignal{RequestID: "l-upgrade", On: policy.DateOf(time.Now()), Reason: "resigned", Actor: "hr-1"},
				Lifecycles: lifecycles,
			}
			leave.Staff.Status = "left"
			r.run(workflows.ID(workflows.KindLeave, upgradeStaff), workflows.LeaveWorkflow, leave, nil)
			for _, id := range lifecycles {
				r.wait(id)
				r.keep("", id) // replays the whole history, old build's part and this one's
			}
		})
	}
}

func upgradeStaffRecord(t *testing.T) activities.StaffRecord {
	start := mustDate(t, "2026-01-05")
	pack := mustPack(t, "cumberland", start)
	return activities.StaffRecord{ID: upgradeStaff, Name: "Uma Upton", Authority: "cumberland", Team: "north", Role: "social_worker",
		SupervisorID: "tm-1", StartDate: start.String(), Status: "active", PackVersion: pack.Version}
}

// recordUpgradeSnapshot onboards a social worker (agreement and personal
// supervision), holds a session, and saves the stopped server's data.
func recordUpgradeSnapshot(t *testing.T) {
	out, err := historyFile(filepath.Join("upgrade", "snapshot.json"), *release)
	if err != nil {
		t.Fatal(err)
	}
	out = strings.Replace(out, "snapshot."+*release+".json", *release+".tar.gz", 1)
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("%s exists: not overwriting an earlier release's snapshot", out)
	}
	dir := t.TempDir()
	t.Run("record", func(t *testing.T) {
		r := newRecorderIn(t, dir)
		staff := upgradeStaffRecord(t)
		start := mustDate(t, staff.StartDate)
		pack := mustPack(t, "cumberland", start)
		person := workflows.Person{StaffID: staff.ID, Name: staff.Name, Authority: staff.Authority, Team: staff.Team, Role: staff.Role, SupervisorID: "tm-1", ManagerID: "hos-1", Start: start}
		agreement := workflows.NewAgreementInput(person, pack, "hr-1")
		supervision := workflows.NewSupervisionInput(person, pack, "hr-1")
		r.run(workflows.ID(workflows.KindOnboard, staff.ID), workflows.OnboardWorkflow, workflows.OnboardInput{Actor: "hr-1", Staff: staff, Agreement: &agreement, Supervision: &supervision}, nil)
		r.update(workflows.ID(workflows.KindSupervision, staff.ID), workflows.UpdateRecordSupervision,
			workflows.SupervisionSessionInput{RequestID: "p1", HeldOn: policy.DateOf(time.Now()), DurationMinutes: 90, SupervisorID: "tm-1", Actor: "tm-1"})
	})
	if t.Failed() {
		return
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := tarDir(dir, out); err != nil {
		t.Fatal(err)
	}
}

// tarDir writes dir's regular files (not the server's lock) to a new gzipped tar.
func tarDir(dir, out string) (err error) {
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || strings.HasSuffix(path, ".lock") {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: info.Size(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	return errors.Join(err, tw.Close(), gz.Close())
}

func untar(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(path, filepath.Clean(dir)+string(os.PathSeparator)) {
			return errors.New("snapshot entry outside its directory: " + h.Name)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		dst, err := os.Create(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(dst, tr)
		if err = errors.Join(err, dst.Close()); err != nil {
			return err
		}
	}
}
