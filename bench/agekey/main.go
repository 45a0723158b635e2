// Command agekey writes a new age identity to the file named by its argument
// and prints its recipient: the key of bench/backup.sh.
package main

import (
	"fmt"
	"os"

	"filippo.io/age"
)

func main() {
	id, err := age.GenerateX25519Identity()
	if err == nil {
		err = os.WriteFile(os.Args[1], []byte(id.String()+"\n"), 0o600)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "agekey:", err)
		os.Exit(1)
	}
	fmt.Println(id.Recipient())
}
