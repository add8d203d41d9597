// Inline SVG icons: no icon font or emoji font is needed on the desktop (Linux often lacks one).
const base = { width: 18, height: 18, viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", "stroke-width": 2,
  "stroke-linecap": "round", "stroke-linejoin": "round", "aria-hidden": true } as const;

export const MicIcon = ({ off }: { off: boolean }) => (
  <svg {...base}>
    <rect x="9" y="3" width="6" height="11" rx="3" />
    <path d="M5 11a7 7 0 0 0 14 0M12 18v3" />
    {off && <path d="M4 4l16 16" />}
  </svg>
);

export const HeadsetIcon = () => (
  <svg {...base}>
    <path d="M4 15v-3a8 8 0 0 1 16 0v3" />
    <rect x="3" y="14" width="4" height="6" rx="1.5" />
    <rect x="17" y="14" width="4" height="6" rx="1.5" />
  </svg>
);

export const MailIcon = () => (
  <svg {...base}>
    <rect x="3" y="5" width="18" height="14" rx="2" />
    <path d="M3 7l9 6 9-6" />
  </svg>
);

/** The parking sign: a P in a square (parking a call in a personal queue). */
export const ParkIcon = () => (
  <svg {...base}>
    <rect x="3" y="3" width="18" height="18" rx="3" />
    <path d="M9 17V7h4a3 3 0 0 1 0 6H9" />
  </svg>
);

/** A handset: call, hang up (turned down). */
export const PhoneIcon = ({ down = false }: { down?: boolean }) => (
  <svg {...base} style={down ? { transform: "rotate(135deg)" } : undefined}>
    <path d="M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2" />
  </svg>
);

/** Two bars: hold. */
export const PauseIcon = () => (
  <svg {...base}>
    <path d="M9 5v14M15 5v14" />
  </svg>
);

/** A grid of dots: the keypad. */
export const KeypadIcon = () => (
  <svg {...base}>
    {[6, 12, 18].flatMap((y) => [6, 12, 18].map((x) => <circle key={`${x}-${y}`} cx={x} cy={y} r="1.3" />))}
  </svg>
);

/** A left-pointing key with a cross: erase the last digit. */
export const EraseIcon = () => (
  <svg {...base}>
    <path d="M9 5h11v14H9l-6-7z" />
    <path d="M12 9l5 6M17 9l-5 6" />
  </svg>
);
