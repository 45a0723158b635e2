package repository

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"filippo.io/age"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/internal/glob"
)

// goneAfter is the gone list of a run (Snapshot.Gone): the hidden connectors
// carried forward that the tenant answered 404 for in this run, and those
// of the previous snapshot's list, less the ones this run exported again
// (same scriptName) or replaced: a connector of the same name (glob.SameName:
// any letter case or normalization form, as the tenant may store it) exported
// under another scriptName, as a restore recreates a connector whose
// scriptName is taken. replaced maps those old scriptNames to the new.
func goneAfter(prev []HiddenConnector, carried []export.Hidden, res export.Result) (gone []HiddenConnector, replaced map[string]string) {
	isCarried := map[string]bool{}
	for _, h := range carried {
		isCarried[h.ScriptName] = true
	}
	all := slices.Clone(prev)
	for _, lo := range res.Coverage.LeftOut {
		if lo.Reason == bundle.LeftOutGone && isCarried[lo.ScriptName] && !slices.ContainsFunc(all, func(g HiddenConnector) bool { return g.ScriptName == lo.ScriptName }) {
			all = append(all, HiddenConnector{ScriptName: lo.ScriptName, Name: lo.Name})
		}
	}
	byName := map[string]string{} // glob.NameKey of a name → a scriptName exported under it
	for sn, name := range res.Names {
		if k := glob.NameKey(name); name != "" && (byName[k] == "" || sn < byName[k]) {
			byName[k] = sn
		}
	}
	replaced = map[string]string{}
	for _, g := range all {
		switch {
		case isExported(res, g.ScriptName): // back again
		case g.Name != "" && byName[glob.NameKey(g.Name)] != "":
			replaced[g.ScriptName] = byName[glob.NameKey(g.Name)]
		default:
			gone = append(gone, g)
		}
	}
	slices.SortFunc(gone, func(a, b HiddenConnector) int { return strings.Compare(a.ScriptName, b.ScriptName) })
	return gone, replaced
}

func isExported(res export.Result, sn string) bool {
	_, ok := res.Names[sn]
	return ok
}

// sameCarry reports whether the carry-forward list a run leaves equals
// prev's: every hidden connector the run keeps is on prev's list, and every
// one on prev's list is kept or exported (a connector whose status is not
// RELEASED is on the list by its status).
func sameCarry(prev []HiddenConnector, res export.Result) bool {
	onPrev := map[string]bool{}
	for _, h := range prev {
		onPrev[h.ScriptName] = true
	}
	for _, sn := range res.Coverage.Hidden {
		if !onPrev[sn] {
			return false
		}
	}
	for _, h := range prev {
		if !slices.Contains(res.Coverage.Hidden, h.ScriptName) && !isExported(res, h.ScriptName) {
			return false
		}
	}
	return true
}

// sameGone reports whether two gone lists name the same scriptNames.
func sameGone(a, b []HiddenConnector) bool {
	return slices.Equal(goneNames(a), goneNames(b))
}

// goneNames are the sorted scriptNames of gone.
func goneNames(gone []HiddenConnector) []string {
	out := make([]string, len(gone))
	for i, g := range gone {
		out[i] = g.ScriptName
	}
	slices.Sort(out)
	return out
}

// recipientsDigest identifies a set of recipients without listing them:
// "sha256:" and the hex SHA-256 of their sorted text forms, one a line; ""
// for none (a clear snapshot). Two backups with the same digest encrypt for
// the same keys; a change of keys stores a new snapshot.
func recipientsDigest(rs []age.Recipient) string {
	if len(rs) == 0 {
		return ""
	}
	lines := make([]string, len(rs))
	for i, r := range rs {
		if s, ok := r.(fmt.Stringer); ok {
			lines[i] = s.String()
		} else {
			lines[i] = fmt.Sprintf("%T %v", r, r)
		}
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}
