// Package inert makes strings from outside safe to show on a terminal.
//
// BLE advertisers choose their own names, network banners can hold any
// bytes, and CMDB exports and imported files are not ours. Before such a
// string reaches the screen (or a report) String replaces every control
// character and escape sequence with a visible replacement mark, so that
// nothing can move the cursor, change colours, set the window title,
// write the clipboard or reorder the text it sits in.
package inert
