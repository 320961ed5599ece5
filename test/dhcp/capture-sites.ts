// The site values behind the capture fixtures in fixtures/dhcp/captures/, shared by the recorder
// (real servers), the hand-built Windows-style captures and the test that decodes them all.

export const CERTPROV_PATH = '/CertProv/CertProvisioningService.svc';

export const SITE = { sipServer: 'pool01.site-a.test', webServer: 'web01.site-a.test', port: '4443' };
export const SITE_URL = `https://${SITE.webServer}:${SITE.port}${CERTPROV_PATH}`;
export const SECOND_POOL = 'pool02.site-a.test';

/** Long enough that option 43 exceeds 255 bytes (labels stay under 63, each sub-option under 255). */
export const LONG_SITE = {
  sipServer: 'pool01.site-a.test',
  webServer:
    'certificate-provisioning-front-end-web-services-pool-number-01.east-datacenter-region-with-a-long-name.corporate-internal-network.site-a.test',
  port: '443',
  path: `${CERTPROV_PATH}/a-deliberately-long-virtual-directory-name-for-testing-rfc3396-splitting-of-option-43`,
};
export const LONG_SITE_URL = `https://${LONG_SITE.webServer}:${LONG_SITE.port}${LONG_SITE.path}`;
