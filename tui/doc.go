// Package tui is the terminal user interface of rounds, built on Bubble Tea
// v2.
//
// A root Model owns one child model per screen (round overview, room
// picker, live sweep, findings, device detail, action forms, summary and
// export, sync status) and a stack of the screens open. Each child handles
// its own keys (a key.Binding KeyMap with ShortHelp and FullHelp, shown by
// '?') and its own size; all styles live in styles.go and adapt to light
// and dark backgrounds and to colourless terminals (NO_COLOR). All I/O runs
// in tea.Cmds driving a round.Engine, never in Update or View; sweep
// results stream in as messages read from a channel. Every string that
// came from outside is passed through inert.String before it is drawn.
//
// One input layer in front of every screen (scanner.go) turns a barcode
// scanner's burst, or a paste, into a scan that is looked up (room label,
// asset tag, serial) and never reaches a screen as keys. See docs/tui.md.
package tui
