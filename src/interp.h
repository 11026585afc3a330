/*
** interp.h -- what the brood command's main.c and repl.c share (interp.c).
*/
#ifndef BROOD_INTERP_H
#define BROOD_INTERP_H

#include <lua.h>

/* Calls the function below its 'narg' arguments in protected mode with a
** message handler that adds a traceback; returns the pcall status. */
int interp_docall(lua_State *L, int narg, int nres);

/* If status is an error, prints the message on top of the stack (with
** the program name in front, when there is one) and pops it. */
int interp_report(lua_State *L, int status);

/* Prints the version banner ("-v"). */
void interp_version(void);

/* The read-eval-print loop. */
void interp_repl(lua_State *L);

/* Program name put in front of error messages (NULL in the REPL). */
extern const char *interp_progname;

#endif
