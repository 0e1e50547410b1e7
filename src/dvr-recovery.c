/* placeholder (issue 8) */
