package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/connvault/connvault/internal/atomicfile"
	"github.com/connvault/connvault/repository"
)

// backupMetrics are the metrics of `backup --metrics-file`, in the Prometheus
// text exposition format (version 0.0.4) that node_exporter's textfile
// collector reads: name, help, type, and the value per tenant of a row.
var backupMetrics = []struct {
	name, help, kind string
	value            func(r backupRow, lastSuccess float64) (float64, bool)
}{
	{"connvault_backup_last_run_timestamp_seconds", "When the last backup run of the tenant ended (Unix seconds).", "gauge",
		func(r backupRow, _ float64) (float64, bool) {
			return float64(r.finished.UnixMilli()) / 1000, !r.finished.IsZero()
		}},
	{"connvault_backup_last_success_timestamp_seconds", "When a backup of the tenant last succeeded, stored or unchanged (Unix seconds).", "gauge",
		func(_ backupRow, last float64) (float64, bool) { return last, last > 0 }},
	{"connvault_backup_success", "1 when the last run stored a complete snapshot or found the tenant unchanged, and no hidden connector carried forward is gone; else 0.", "gauge",
		func(r backupRow, _ float64) (float64, bool) {
			return b2f((r.Result == "stored" || r.Result == "unchanged") && len(r.Gone) == 0), true
		}},
	{"connvault_backup_gone_connectors", "Hidden connectors earlier snapshots carried forward that the tenant no longer has (404) and nothing replaced; reported every run until named again or forgotten (--forget).", "gauge",
		func(r backupRow, _ float64) (float64, bool) { return float64(len(r.Gone)), r.Result != "failed" }},
	{"connvault_backup_duration_seconds", "How long the last run of the tenant took.", "gauge",
		func(r backupRow, _ float64) (float64, bool) { return r.Seconds, true }},
	{"connvault_backup_connectors", "Connectors in the tenant's latest snapshot.", "gauge",
		func(r backupRow, _ float64) (float64, bool) { return float64(r.Connectors), r.Result != "failed" }},
	{"connvault_backup_failed_connectors", "Connectors the last run could not read.", "gauge",
		func(r backupRow, _ float64) (float64, bool) { return float64(r.Failed), r.Result != "failed" }},
	{"connvault_backup_stored_bytes", "Bytes the last run stored (0 when unchanged).", "gauge",
		func(r backupRow, _ float64) (float64, bool) { return float64(r.Bytes), true }},
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// backupResults are the values of connvault_backup_result's label.
var backupResults = []string{"stored", "unchanged", "partial", "failed"}

// writeMetrics writes the metrics of rows to path atomically (a collector
// never reads half a file). The last success of a tenant whose run failed
// comes from its status in the repository.
func writeMetrics(ctx context.Context, path string, repo *repository.Repo, rows []backupRow) error {
	last := make([]float64, len(rows))
	for i, r := range rows {
		if r.Result == "stored" || r.Result == "unchanged" {
			last[i] = float64(r.finished.UnixMilli()) / 1000
			continue
		}
		if st, ok, err := repo.LastStatus(ctx, r.Tenant); err == nil && ok {
			last[i] = float64(st.CheckedAt.UnixMilli()) / 1000
		}
	}
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		var b strings.Builder
		for _, m := range backupMetrics {
			fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.kind)
			for i, r := range rows {
				if v, ok := m.value(r, last[i]); ok {
					fmt.Fprintf(&b, "%s{tenant=%s} %s\n", m.name, quoteLabel(r.Tenant), strconv.FormatFloat(v, 'g', -1, 64))
				}
			}
		}
		fmt.Fprintf(&b, "# HELP connvault_backup_result The result of the tenant's last run: 1 for its result, 0 for the others.\n# TYPE connvault_backup_result gauge\n")
		for _, r := range rows {
			for _, res := range backupResults {
				fmt.Fprintf(&b, "connvault_backup_result{tenant=%s,result=%q} %g\n", quoteLabel(r.Tenant), res, b2f(r.Result == res))
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	})
	if err != nil {
		return fmt.Errorf("metrics file: %w", err)
	}
	return nil
}

// quoteLabel quotes a label value as the exposition format wants: backslash,
// double quote and newline escaped.
func quoteLabel(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
