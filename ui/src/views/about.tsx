import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import { aboutGet, type AboutView, type ComponentLicence } from "../ipc";

/** Help → About: the version Cargo built, Koppla's licence and every bundled component's. */
export function AboutPage() {
  const { t, run } = useShell();
  const [about, setAbout] = useState<AboutView | null>(null);
  useEffect(() => void run(aboutGet).then((loaded) => loaded && setAbout(loaded)), []);
  if (!about) return <p aria-busy="true" />;
  return (
    <div class="about-page" data-testid="about">
      <p class="about-version" data-testid="about-version">
        {t("about.version", { version: about.version })}
      </p>
      <p data-testid="about-licence">{t("about.licence", { licence: about.license })}</p>
      <h3>{t("about.components")}</h3>
      <Components title={t("about.crates", { count: String(about.crates.length) })} list={about.crates} id="crates" />
      <Components title={t("about.npm", { count: String(about.npm.length) })} list={about.npm} id="npm" />
    </div>
  );
}

function Components({ title, list, id }: { title: string; list: ComponentLicence[]; id: string }) {
  return (
    <details data-testid={`about-${id}`}>
      <summary>{title}</summary>
      <ul class="licences">
        {list.map((c) => (
          <li key={`${c.name}@${c.version}`}>
            {c.name} {c.version} — {c.license}
          </li>
        ))}
      </ul>
    </details>
  );
}
