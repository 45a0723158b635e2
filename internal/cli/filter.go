package cli

import "github.com/urfave/cli/v3"

// filterFlags are --include and --exclude, the same on every command that
// chooses connectors by name, with internal/glob's one rule: the whole name,
// ignoring letter case, never the scriptName. verb names what is done with
// the chosen connectors ("export", "plan", …).
func filterFlags(verb string) []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "include", Usage: verb + " only connectors whose name matches this glob (* ? [a-z]; the whole name, any letter case; repeatable)"},
		&cli.StringSliceFlag{Name: "exclude", Usage: "leave out connectors whose name matches this glob (repeatable)"},
	}
}
