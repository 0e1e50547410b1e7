/* dvr-recovery: placeholder (issue 8). */
#pragma once
